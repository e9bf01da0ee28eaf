"""The outside world: the ``kg`` command line and (later) the FastAPI app."""
