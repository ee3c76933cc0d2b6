"""GitHub: the environment of a workflow run, and the REST API calls the commands make."""
