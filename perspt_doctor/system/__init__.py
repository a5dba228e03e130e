"""Facts about the machine perspt runs on: memory, GPUs, containers. Heavy imports stay inside functions."""
