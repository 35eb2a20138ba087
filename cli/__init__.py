"""The `complaints` command line. It sits above the kernel and the services: it runs them,
so it is the one package allowed to import both (`make lint` checks the boundaries)."""
