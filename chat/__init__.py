"""The chat turn, independent of Chainlit: history trimming, input checks, streaming frames, error text."""
