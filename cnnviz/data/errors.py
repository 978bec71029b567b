"""The one error type of cnnviz.data: bad or missing input, with a message that names the file
(or dataset) and says what is wrong, fit to show a user as it is."""


class DataError(ValueError):
    """A dataset or image that cannot be used. str(error) is the whole message for the user."""
