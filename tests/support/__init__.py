"""Test servers and helpers shared by the test tiers."""
