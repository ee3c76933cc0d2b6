"""GitHub, from inside a job: its environment, workflow commands (annotations), the step summary, and
the REST API calls the commands make."""
