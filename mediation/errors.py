"""Errors the domain raises for a person to read; `code` is stable for programs."""


class MediationError(Exception):
    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message
