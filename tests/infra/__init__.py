"""Tests of the Pulumi program (infra/) under mocks, and of the policy pack."""
