/** HTTP clients for OpenAI-compatible and Anthropic models (streaming, tool calls, retries). */
module io.chatbuilder.models {
  requires transitive io.chatbuilder.core;
  requires okhttp3;
  requires org.slf4j;

  exports io.chatbuilder.models;
}
