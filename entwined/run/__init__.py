"""Running the checks: the pipeline over a claims file, the guard around each check, mutation
testing of the verifier, and the provenance of a run."""
