"""The provider catalog: data, not code. A new OpenAI-compatible provider is one entry.

Key shapes come from public secret-scanner rules; they are used for *warnings* (a key that does
not look like this provider's) and for redaction, never to refuse a key.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from perspt_doctor.errors import UsageError
from perspt_doctor.suggest import did_you_mean

Protocol = Literal["openai", "anthropic", "gemini", "cohere", "ollama"]
AuthScheme = Literal["bearer", "x-api-key", "x-goog-api-key", "none"]


@dataclass(frozen=True)
class KeyShape:
    """A regular expression that a well-formed key of this provider matches, and its name."""

    name: str
    pattern: str


@dataclass(frozen=True)
class ProviderSpec:
    id: str
    display_name: str
    protocol: Protocol
    base_url: str
    auth: AuthScheme
    key_env: tuple[str, ...] = ()
    """Environment variables holding the key, primary first; later ones are alternates."""
    base_url_env: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()
    key_shapes: tuple[KeyShape, ...] = ()
    key_shapes_strict: bool = True
    """False where the provider changes its key format (Gemini): a mismatch is only informational."""
    key_required: bool = True
    models_path: str = "/models"
    chat_path: str = "/chat/completions"
    default_model: str = ""
    docs_url: str = ""
    status_url: str = ""
    keys_url: str = ""
    extra_headers: dict[str, str] = field(default_factory=dict)
    max_tokens_param: str = "max_tokens"
    """OpenAI protocol: OpenAI itself wants `max_completion_tokens` (reasoning models refuse `max_tokens`)."""
    stream_usage_option: bool = True
    """OpenAI protocol: send `stream_options.include_usage` (Mistral reports usage without it)."""

    @property
    def is_loopback_default(self) -> bool:
        return "127.0.0.1" in self.base_url or "localhost" in self.base_url


_OPENAI_BODY = r"[A-Za-z0-9_-]{20,}T3BlbkFJ[A-Za-z0-9_-]{20,}"

PROVIDERS: dict[str, ProviderSpec] = {
    spec.id: spec
    for spec in (
        ProviderSpec(
            id="openai",
            display_name="OpenAI",
            protocol="openai",
            base_url="https://api.openai.com/v1",
            auth="bearer",
            key_env=("OPENAI_API_KEY",),
            base_url_env=("OPENAI_BASE_URL",),
            key_shapes=(
                KeyShape("OpenAI project key", r"sk-proj-" + _OPENAI_BODY),
                KeyShape("OpenAI service-account key", r"sk-(?:svcacct|service)-" + _OPENAI_BODY),
                KeyShape("OpenAI admin key", r"sk-admin-" + _OPENAI_BODY),
                KeyShape("OpenAI user key", r"sk-[A-Za-z0-9]{20}T3BlbkFJ[A-Za-z0-9]{20}"),
                KeyShape("OpenAI organisation key", r"sk-None-[A-Za-z0-9_-]{40,}"),
            ),
            default_model="gpt-4o-mini",
            max_tokens_param="max_completion_tokens",
            docs_url="https://platform.openai.com/docs/api-reference",
            status_url="https://status.openai.com",
            keys_url="https://platform.openai.com/api-keys",
        ),
        ProviderSpec(
            id="anthropic",
            display_name="Anthropic",
            protocol="anthropic",
            base_url="https://api.anthropic.com",
            auth="x-api-key",
            key_env=("ANTHROPIC_API_KEY",),
            base_url_env=("ANTHROPIC_BASE_URL",),
            aliases=("claude",),
            key_shapes=(
                KeyShape("Anthropic API key", r"sk-ant-api03-[A-Za-z0-9_-]{93}AA"),
                KeyShape("Anthropic admin key", r"sk-ant-admin01-[A-Za-z0-9_-]{93}AA"),
            ),
            models_path="/v1/models",
            chat_path="/v1/messages",
            default_model="claude-sonnet-4-6",
            docs_url="https://docs.anthropic.com/en/api",
            status_url="https://status.anthropic.com",
            keys_url="https://console.anthropic.com/settings/keys",
            extra_headers={"anthropic-version": "2023-06-01"},
        ),
        ProviderSpec(
            id="google",
            display_name="Google Gemini",
            protocol="gemini",
            base_url="https://generativelanguage.googleapis.com",
            auth="x-goog-api-key",
            key_env=("GEMINI_API_KEY", "GOOGLE_API_KEY"),
            base_url_env=("GOOGLE_GEMINI_BASE_URL", "GEMINI_BASE_URL"),
            aliases=("gemini",),
            key_shapes=(
                KeyShape("Google API key", r"AIza[A-Za-z0-9_-]{35}"),
                KeyShape("Google AI Studio auth key", r"[AI]Q\.[A-Za-z0-9_.-]{20,}"),
            ),
            key_shapes_strict=False,
            models_path="/v1beta/models",
            chat_path="/v1beta/models/{model}:generateContent",
            default_model="gemini-2.5-flash",
            docs_url="https://ai.google.dev/api",
            status_url="https://aistudio.google.com/status",
            keys_url="https://aistudio.google.com/app/apikey",
        ),
        ProviderSpec(
            id="groq",
            display_name="Groq",
            protocol="openai",
            base_url="https://api.groq.com/openai/v1",
            auth="bearer",
            key_env=("GROQ_API_KEY",),
            base_url_env=("GROQ_BASE_URL",),
            key_shapes=(KeyShape("Groq key", r"gsk_[A-Za-z0-9]{52}"),),
            default_model="llama-3.1-8b-instant",
            docs_url="https://console.groq.com/docs",
            status_url="https://groqstatus.com",
            keys_url="https://console.groq.com/keys",
        ),
        ProviderSpec(
            id="cohere",
            display_name="Cohere",
            protocol="cohere",
            base_url="https://api.cohere.com",
            auth="bearer",
            key_env=("COHERE_API_KEY", "CO_API_KEY"),
            base_url_env=("CO_API_URL", "COHERE_BASE_URL"),
            key_shapes=(KeyShape("Cohere key", r"[A-Za-z0-9]{40}"),),
            models_path="/v1/models",
            chat_path="/v2/chat",
            default_model="command-a-03-2025",
            docs_url="https://docs.cohere.com/reference",
            status_url="https://status.cohere.com",
            keys_url="https://dashboard.cohere.com/api-keys",
        ),
        ProviderSpec(
            id="xai",
            display_name="xAI",
            protocol="openai",
            base_url="https://api.x.ai/v1",
            auth="bearer",
            key_env=("XAI_API_KEY",),
            base_url_env=("XAI_BASE_URL",),
            aliases=("grok",),
            key_shapes=(KeyShape("xAI key", r"xai-[A-Za-z0-9_]{80}"),),
            default_model="grok-3-mini",
            docs_url="https://docs.x.ai/docs",
            status_url="https://status.x.ai",
            keys_url="https://console.x.ai",
        ),
        ProviderSpec(
            id="deepseek",
            display_name="DeepSeek",
            protocol="openai",
            base_url="https://api.deepseek.com",
            auth="bearer",
            key_env=("DEEPSEEK_API_KEY",),
            base_url_env=("DEEPSEEK_BASE_URL",),
            key_shapes=(KeyShape("DeepSeek key", r"sk-[a-f0-9]{32}"),),
            default_model="deepseek-chat",
            docs_url="https://api-docs.deepseek.com",
            status_url="https://status.deepseek.com",
            keys_url="https://platform.deepseek.com/api_keys",
        ),
        ProviderSpec(
            id="mistral",
            display_name="Mistral",
            protocol="openai",
            base_url="https://api.mistral.ai/v1",
            auth="bearer",
            key_env=("MISTRAL_API_KEY",),
            base_url_env=("MISTRAL_BASE_URL",),
            key_shapes=(KeyShape("Mistral key", r"[A-Za-z0-9]{32}"),),
            key_shapes_strict=False,
            default_model="mistral-small-latest",
            stream_usage_option=False,
            docs_url="https://docs.mistral.ai/api",
            status_url="https://status.mistral.ai",
            keys_url="https://console.mistral.ai/api-keys",
        ),
        ProviderSpec(
            id="openrouter",
            display_name="OpenRouter",
            protocol="openai",
            base_url="https://openrouter.ai/api/v1",
            auth="bearer",
            key_env=("OPENROUTER_API_KEY",),
            base_url_env=("OPENROUTER_BASE_URL",),
            key_shapes=(KeyShape("OpenRouter key", r"sk-or-v1-[0-9a-f]{64}"),),
            default_model="openai/gpt-4o-mini",
            docs_url="https://openrouter.ai/docs",
            status_url="https://status.openrouter.ai",
            keys_url="https://openrouter.ai/keys",
            extra_headers={"HTTP-Referer": "https://github.com/eonseed/perspt", "X-Title": "perspt"},
        ),
        ProviderSpec(
            id="ollama",
            display_name="Ollama",
            protocol="ollama",
            base_url="http://127.0.0.1:11434",
            auth="none",
            key_env=(),
            base_url_env=("OLLAMA_HOST", "OLLAMA_BASE_URL"),
            key_required=False,
            models_path="/api/tags",
            chat_path="/api/chat",
            default_model="llama3.2",
            docs_url="https://github.com/ollama/ollama/blob/main/docs/api.md",
        ),
        ProviderSpec(
            id="openai-compatible",
            display_name="OpenAI-compatible server",
            protocol="openai",
            base_url="http://127.0.0.1:8000/v1",
            auth="bearer",
            key_env=("OPENAI_COMPATIBLE_API_KEY",),
            base_url_env=("OPENAI_COMPATIBLE_BASE_URL",),
            aliases=("openai_compatible", "vllm", "lmstudio", "llamacpp", "llama.cpp", "local"),
            key_required=False,
            default_model="",
            docs_url="https://platform.openai.com/docs/api-reference",
        ),
    )
}

_ALIASES: dict[str, str] = {
    name: spec.id for spec in PROVIDERS.values() for name in (spec.id, *spec.aliases)
}


def canonical_id(name: str) -> str | None:
    """`gemini` -> `google`; unknown names -> None. Case and surrounding blanks are ignored."""
    return _ALIASES.get(name.strip().lower())


class UnknownProviderError(UsageError, ValueError):
    """A provider name that is neither an id nor an alias: a usage error (exit 2), worded once for the
    chat, `doctor`, `report`, `models` and `keys` alike."""

    def __init__(self, name: str, origin: str | None = None) -> None:
        self.name = name
        self.suggestions = did_you_mean(name, all_names(), cutoff=0.7)
        super().__init__(f"unknown provider '{name}'" + (f" (from {origin})" if origin else ""),
                         hint=unknown_provider_hint(self.suggestions))


def unknown_provider_hint(suggestions: list[str]) -> str:
    close = f"did you mean {', '.join(suggestions)}? " if suggestions else ""
    return f"{close}known providers: {', '.join(all_ids())}"


def resolve_provider(name: str, origin: str | None = None) -> str:
    """The canonical id of `name`; UnknownProviderError (with the did-you-mean and the list of ids) if none.
    `origin` says where the name came from (`command line`, a config file)."""
    pid = canonical_id(name)
    if pid is None:
        raise UnknownProviderError(name, origin)
    return pid


def get(name: str) -> ProviderSpec:
    pid = canonical_id(name)
    if pid is None:
        raise KeyError(name)
    return PROVIDERS[pid]


def all_ids() -> list[str]:
    return list(PROVIDERS)


def all_names() -> list[str]:
    """Ids and aliases, for did-you-mean suggestions and help text."""
    return sorted(_ALIASES)
