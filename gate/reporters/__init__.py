"""Reporters render a RunReport to text. They never print or write: the caller does, through the Redactor."""
