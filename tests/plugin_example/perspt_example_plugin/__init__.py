"""An example perspt doctor plugin: one module of assorted checks, one of generated sleepers."""
