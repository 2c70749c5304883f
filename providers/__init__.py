"""How we talk to a model: the provider protocol (base), Foundry Local in-process (foundry,
foundry_engine), OpenAI-compatible HTTP (openai_compat), the factory, and the error tree (errors)."""
