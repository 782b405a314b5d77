"""Entry point of `pulumi up` (Pulumi.yaml: `main: infra/`)."""

from infra.program import main

main()
