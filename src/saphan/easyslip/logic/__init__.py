"""EasySlip's rules: who is calling (auth), quota per billing month, account info, slip
verification against the ledger, and registered bank accounts. No HTTP here."""
