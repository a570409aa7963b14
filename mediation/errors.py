"""Errors the domain raises for a person to read; `code` is stable for programs."""


class MediationError(Exception):
    def __init__(self, code: str, message: str, **data):
        super().__init__(message)
        self.code = code
        self.message = message
        self.data = data  # extra facts for the reply's data payload (e.g. that a message should be deleted)
