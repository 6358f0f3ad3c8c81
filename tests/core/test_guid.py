"""``new_guid``: what ``str(uuid.uuid4())`` gives, made faster."""

from __future__ import annotations

import os
import uuid

from saphan.core.guid import new_guid


def test_each_guid_is_a_random_rfc_4122_uuid_written_as_uuid_writes_it() -> None:
    made = [new_guid() for _ in range(20_000)]
    assert len(set(made)) == len(made)
    for text in made:
        parsed = uuid.UUID(text)
        assert (parsed.version, parsed.variant, str(parsed)) == (4, uuid.RFC_4122, text)


def test_every_random_bit_varies() -> None:
    """Over many GUIDs, each of the 122 random bits is seen both set and clear."""
    seen_set = seen_clear = 0
    for _ in range(2_000):
        value = uuid.UUID(new_guid()).int
        seen_set |= value
        seen_clear |= ~value
    fixed = (0xF << 76) | (0x3 << 62)  # the version and variant bits
    random_bits = ((1 << 128) - 1) & ~fixed
    assert seen_set & random_bits == random_bits
    assert seen_clear & random_bits == random_bits


def test_a_forked_process_draws_guids_of_its_own() -> None:
    """Server workers are forked from one process: none may repeat another's GUIDs."""
    new_guid()  # the parent holds drawn bytes before the fork
    read, write = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover - the child reports through the pipe
        try:
            os.write(write, "\n".join(new_guid() for _ in range(100)).encode())
        finally:
            os._exit(0)
    os.close(write)
    with os.fdopen(read) as pipe:
        theirs = set(pipe.read().split("\n"))
    os.waitpid(child, 0)
    mine = {new_guid() for _ in range(100)}
    assert len(theirs) == 100
    assert not mine & theirs
