"""The adapter to CodeArtifact: the only package that imports boto3 or botocore."""
