"""The one exception type the scripts turn into a one-line error and a non-zero exit status."""


class UserError(Exception):
    """Bad input from the user or a bad data file: reported as one line, nothing executed or overwritten."""


class DataFileError(UserError):
    """A data file that is missing, truncated, unsafe, of an unknown schema or of other parameters."""
