"""Click commands, one module per area; each command is a few lines over a library function."""
