/**
 * ChatBuilder's core: the facade, the SPIs every other module implements, the event, checkpoint and
 * conversation model, and the agent loop. {@code io.chatbuilder.core.internal} is exported only to
 * the project's own modules that share its pieces (one SSE reader, the line diff): it is not API.
 */
module io.chatbuilder.core {
  requires transitive com.fasterxml.jackson.databind;
  requires io.github.javadiffutils;
  requires org.slf4j;

  exports io.chatbuilder.core;
  exports io.chatbuilder.core.access;
  exports io.chatbuilder.core.checkpoint;
  exports io.chatbuilder.core.conversation;
  exports io.chatbuilder.core.event;
  exports io.chatbuilder.core.json;
  exports io.chatbuilder.core.model;
  exports io.chatbuilder.core.runtime;
  exports io.chatbuilder.core.sandbox;
  exports io.chatbuilder.core.secrets;
  exports io.chatbuilder.core.testing;
  exports io.chatbuilder.core.tool;
  exports io.chatbuilder.core.internal to io.chatbuilder.models, io.chatbuilder.sandbox.remote;
}
