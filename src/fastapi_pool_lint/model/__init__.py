"""The whole-project model: name resolution, FastAPI wiring, session values, call chains."""
