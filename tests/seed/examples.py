"""The config examples of the seed guide as it prints them (trailing spaces removed), by its line number.
Keys and URLs are the guide's own placeholders."""

from __future__ import annotations

EXAMPLES: dict[int, str] = {
    137: """\
{
  "provider_type": "openai",
  "default_model": "gpt-4o-mini",
  "stream_timeout": 30,
  "retry_attempts": 3,
  "buffer_size": 1024
}
""",
    149: """\
{
  "provider": "openai",  // ❌ Comments not allowed in JSON
  "api_key": "sk-...",   // ❌ Trailing comma
}
""",
    158: """\
{
  "provider": "openai",
  "api_key": "sk-..."
}
""",
    167: """\
{
  "provider": "openai"
  // ❌ Missing api_key
}
""",
    176: """\
{
  "provider": "openai",
  "api_key": "your-api-key",
  "model": "gpt-4"
}
""",
    286: """\
{
  "provider": "openai",
  "proxy": {
    "http": "http://proxy.company.com:8080",
    "https": "https://proxy.company.com:8080"
  }
}
""",
    318: """\
{
  "rate_limiting": {
    "requests_per_minute": 50,
    "delay_between_requests": 1.2,
    "max_retries": 3
  }
}
""",
    351: """\
{
  "model": "gpt-4-turbo",  // ✓ Correct
  "model": "gpt-4-turob"   // ❌ Typo
}
""",
    368: """\
{
  "max_tokens": 1000,        // ✓ Reasonable
  "conversation_history_limit": 20  // ✓ Limit history
}
""",
    396: """\
{
  "system_prompt": "You are a helpful assistant..."  // Clear instructions
}
""",
    404: """\
{
  "temperature": 0.3,     // Lower for more focused responses
  "top_p": 0.8,          // Reduce randomness
  "frequency_penalty": 0.2  // Reduce repetition
}
""",
    448: """\
{
  "provider": "ollama",
  "base_url": "http://localhost:11434"  // Correct port
}
""",
    473: """\
{
  "provider": "ollama",
  "options": {
    "num_gpu": 0,     // Use CPU only
    "num_thread": 4   // Limit CPU threads
  }
}
""",
    584: """\
{
  "debug": {
    "enabled": true,
    "log_level": "trace",
    "log_file": "~/.config/perspt/debug.log"
  }
}
""",
    654: """\
{
  "provider": "openai",
  "api_key": "your-key",
  "model": "gpt-4o-mini"
}
""",
    757: """\
{
  "provider": "openai",
  "model": "gpt-4",
  "api_key": "sk-***redacted***"
}
""",
    958: """\
{
  "provider_type": "groq",
  "timeout": 30,
  "retry_attempts": 2,
  "fallback_provider": "openai"
}
""",
    1080: """\
{
  "provider_type": "ollama",
  "base_url": "http://localhost:11434",
  "options": {
    "num_gpu": 1,           # Number of GPU layers
    "num_thread": 8,        # CPU threads
    "num_ctx": 4096,        # Context window
    "temperature": 0.7,
    "top_p": 0.9
  }
}
""",
    1112: """\
{
  "performance": {
    "max_tokens": 1000,           # Limit response length
    "stream": true,               # Enable streaming
    "timeout": 15,                # Shorter timeout
    "parallel_requests": 2,       # Multiple requests
    "cache_responses": true       # Cache similar queries
  }
}
""",
    1142: """\
{
  "resource_limits": {
    "max_history_size": 50,       # Limit conversation history
    "cache_size_mb": 100,         # Limit cache size
    "log_rotation_size": "10MB",  # Rotate logs
    "cleanup_interval": "24h"     # Regular cleanup
  }
}
""",
    1158: """\
{
  "network": {
    "keep_alive": true,           # Reuse connections
    "connection_pool_size": 5,    # Pool connections
    "dns_cache": true,            # Cache DNS lookups
    "compression": true           # Enable compression
  }
}
""",
    1171: """\
{
  "provider_endpoints": {
    "openai": "https://api.openai.com",           # US
    "anthropic": "https://api.anthropic.com",     # US
    "google": "https://generativelanguage.googleapis.com"  # Global
  }
}
""",
    1227: """\
{
  "fallback_chain": [
    {
      "provider_type": "openai",
      "model": "gpt-4o-mini",
      "on_failure": "next"
    },
    {
      "provider_type": "anthropic",
      "model": "claude-3-5-haiku-20241022",
      "on_failure": "next"
    },
    {
      "provider_type": "ollama",
      "model": "llama3.2:8b",
      "on_failure": "fail"
    }
  ]
}
""",
}
