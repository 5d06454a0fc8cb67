package io.chatbuilder.tools.mcp;

import io.chatbuilder.core.json.JsonCodec;
import io.modelcontextprotocol.spec.McpSchema;
import java.util.List;

/** What the model is told of a {@code tools/call} result: its text, non-text parts summarized, capped. */
final class ToolResults {
  private ToolResults() {}

  record Text(String content, String summary) {}

  static Text text(McpSchema.CallToolResult result, JsonCodec json, int maxChars) {
    StringBuilder out = new StringBuilder();
    List<McpSchema.Content> parts = result.content() == null ? List.of() : result.content();
    int nonText = 0;
    for (McpSchema.Content part : parts) {
      if (out.length() > maxChars) {
        break; // enough to cut; the rest is not read
      }
      if (out.length() > 0) {
        out.append('\n');
      }
      if (part instanceof McpSchema.TextContent t) {
        out.append(t.text() == null ? "" : t.text());
        continue;
      }
      nonText++;
      if (part instanceof McpSchema.ImageContent i) {
        out.append("[image ").append(i.mimeType()).append(", ").append(base64Bytes(i.data())).append(" bytes: not shown]");
      } else if (part instanceof McpSchema.AudioContent a) {
        out.append("[audio ").append(a.mimeType()).append(", ").append(base64Bytes(a.data())).append(" bytes: not shown]");
      } else if (part instanceof McpSchema.EmbeddedResource r) {
        if (r.resource() instanceof McpSchema.TextResourceContents t) {
          out.append("[resource ").append(t.uri()).append("]\n").append(t.text() == null ? "" : t.text());
        } else if (r.resource() instanceof McpSchema.BlobResourceContents b) {
          out.append("[resource ").append(b.uri()).append(", ").append(b.mimeType()).append(", ")
              .append(base64Bytes(b.blob())).append(" bytes: not shown]");
        } else {
          out.append("[resource: not shown]");
        }
      } else if (part instanceof McpSchema.ResourceLink l) {
        out.append("[resource link ").append(l.name()).append(": ").append(l.uri()).append("]");
      } else {
        out.append("[").append(part.type()).append(" content: not shown]");
      }
    }
    if (parts.isEmpty() && result.structuredContent() != null) {
      out.append(json.write(json.fromJava(result.structuredContent())));
    }
    int length = out.length();
    String summary = length + (length == 1 ? " character" : " characters") + (nonText > 0 ? ", " + nonText + " non-text parts" : "");
    if (length > maxChars) {
      out.setLength(maxChars);
      out.append("\n… (cut: the result is longer than ").append(maxChars).append(" characters; only the first ")
          .append(maxChars).append(" are shown)");
      summary = "cut to " + maxChars + " characters";
    }
    return new Text(out.toString(), summary);
  }

  private static long base64Bytes(String data) {
    return data == null ? 0 : data.length() / 4L * 3;
  }
}
