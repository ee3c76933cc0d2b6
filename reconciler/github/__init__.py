"""GitHub Actions, from inside a job: its environment, workflow commands (annotations) and the step summary."""
