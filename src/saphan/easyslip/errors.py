"""EasySlip's documented errors, one class each, and its envelope
``{"success": false, "error": {"code", "message"}}``.

Each message is the one EasySlip's v2 error-code reference gives for its code
(https://easyslip-document.cl1.easythunder.com/en/reference/error-codes); only a
VALIDATION_ERROR says more: which field, and what is wrong with it."""

from __future__ import annotations

from typing import Any

from saphan.core.boundary import InvalidInput
from saphan.core.errors import ServiceError


class EasySlipError(ServiceError):
    status = 400
    code = "VALIDATION_ERROR"
    message = "Validation failed"


class ValidationFailed(EasySlipError):
    status = 400
    code = "VALIDATION_ERROR"
    message = "Validation failed"


class MissingApiKey(EasySlipError):
    status = 401
    code = "MISSING_API_KEY"
    message = "Authorization header is required"


class InvalidApiKey(EasySlipError):
    status = 401
    code = "INVALID_API_KEY"
    message = "The provided API key is invalid"


class BranchInactive(EasySlipError):
    status = 403
    code = "BRANCH_INACTIVE"
    message = "This API branch has been deactivated"


class ServiceBanned(EasySlipError):
    status = 403
    code = "SERVICE_BANNED"
    message = "Service has been banned"


class ServiceDeleted(EasySlipError):
    status = 403
    code = "SERVICE_DELETED"
    message = "Service has been deleted"


class IpNotAllowed(EasySlipError):
    status = 403
    code = "IP_NOT_ALLOWED"
    message = "Your IP address is not in the allowed list"


class ApplicationExpired(EasySlipError):
    """v1's ``application_expired`` ("Subscription expired"; v2 lists no code for it), in v2's
    form."""

    status = 403
    code = "APPLICATION_EXPIRED"
    message = "Subscription expired"


class QuotaExceeded(EasySlipError):
    status = 403
    code = "QUOTA_EXCEEDED"
    message = "Your API quota has been exceeded"


class UrlProtocolNotAllowed(EasySlipError):
    status = 400
    code = "URL_PROTOCOL_NOT_ALLOWED"
    message = "Only HTTP/HTTPS allowed"


class UrlInvalidIpRange(EasySlipError):
    status = 400
    code = "URL_INVALID_IP_RANGE"
    message = "URL points to restricted IP"


class ImageUrlUnreachable(EasySlipError):
    status = 400
    code = "IMAGE_URL_UNREACHABLE"
    message = "Unable to access URL"


class ImageSizeTooLarge(EasySlipError):
    status = 400
    code = "IMAGE_SIZE_TOO_LARGE"
    message = "Image exceeds 4MB limit"


class InvalidImageType(EasySlipError):
    status = 400
    code = "INVALID_IMAGE_TYPE"
    message = "URL is not a valid image"


class InvalidImageFormat(EasySlipError):
    status = 400
    code = "INVALID_IMAGE_FORMAT"
    message = "File is not a valid image"


class SlipNotFound(EasySlipError):
    status = 404
    code = "SLIP_NOT_FOUND"
    message = "Slip not found or invalid"


class SlipPending(EasySlipError):
    status = 404
    code = "SLIP_PENDING"
    message = "The slip is still being processed; try again later"


class NotFound(EasySlipError):
    status = 404
    code = "NOT_FOUND"
    message = "Resource not found"


class AccountExists(EasySlipError):
    """Saphan's own: a bank account registered twice by one application."""

    status = 409
    code = "BANK_ACCOUNT_EXISTS"
    message = "This bank account is registered already"


class ApiServerError(EasySlipError):
    status = 500
    code = "API_SERVER_ERROR"
    message = "External API error"


def render(error: ServiceError) -> dict[str, Any]:
    # A value the input boundary refuses is one of the reference's VALIDATION_ERRORs.
    code = ValidationFailed.code if isinstance(error, InvalidInput) else error.code
    return {"success": False, "error": {"code": code, "message": error.message}}
