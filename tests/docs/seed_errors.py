"""The error messages of the troubleshooting guide perspt was specified from (its `Error: ...` lines,
as it prints them), kept here so the docs tests need nothing outside the repository.

docs/troubleshooting.md must quote each one; tests/seed/test_seed_errors.py makes perspt produce them."""

from __future__ import annotations

SEED_ERRORS: tuple[str, ...] = (
    "Anthropic API key authentication failed",
    "Authentication failed - Invalid API key",
    "Authentication failed for provider 'openai'",
    "Cohere API authentication failed",
    "Configuration file not found at ~/.config/perspt/config.json",
    "Could not connect to Ollama server",
    "Failed to connect to API endpoint",
    "Failed to connect to Ollama at localhost:11434",
    "Gemini model access denied",
    "Google AI API key not valid",
    "Grok model not available",
    "Groq service temporarily unavailable",
    "Insufficient quota for GPT-4",
    "Invalid API key for OpenAI",
    "Model 'claude-3-opus-20240229' not available",
    "Model 'command-r-plus' not accessible",
    "Model 'gpt-4.1' not available for provider 'openai'",
    "Model 'gpt-5' not found",
    "Model 'o1-preview' not available",
    "Model inference timeout",
    "Model not found in Ollama",
    "Out of memory when loading model",
    "Rate limit exceeded",
    "Rate limit exceeded for model gpt-4",
    "Streaming connection interrupted",
    "XAI API key invalid",
)
