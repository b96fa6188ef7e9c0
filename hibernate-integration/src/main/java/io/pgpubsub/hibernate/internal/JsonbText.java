package io.pgpubsub.hibernate.internal;

import com.fasterxml.jackson.databind.JsonNode;
import java.math.BigDecimal;
import java.util.Iterator;
import java.util.Map;

/**
 * Prints a JSON value the way PostgreSQL's {@code jsonb} output function does, so that a JSON column taken
 * from a stored row reaches Hibernate as the very text {@code session.find} reads from the driver: {@code ": "}
 * and {@code ", "} separators, keys in the stored order, numbers as {@code numeric} prints them (plain digits,
 * scale kept: {@code 5.00}, {@code 100.00}, never {@code 1E+2}), strings escaped like {@code escape_json}.
 * Hibernate's FormatMapper then reads it exactly as when it loads the entity (a {@code String} attribute gets
 * the text itself, a BigDecimal its scale).
 */
final class JsonbText {

  private JsonbText() {}

  static String of(JsonNode node) {
    if (node.isTextual()) {
      StringBuilder out = new StringBuilder(node.textValue().length() + 2);
      string(node.textValue(), out);
      return out.toString();
    }
    if (node.isValueNode()) {
      return scalar(node);
    }
    StringBuilder out = new StringBuilder(64);
    write(node, out);
    return out.toString();
  }

  private static void write(JsonNode node, StringBuilder out) {
    if (node.isObject()) {
      out.append('{');
      boolean first = true;
      for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> e = it.next();
        if (!first) {
          out.append(", ");
        }
        first = false;
        string(e.getKey(), out);
        out.append(": ");
        write(e.getValue(), out);
      }
      out.append('}');
    } else if (node.isArray()) {
      out.append('[');
      for (int i = 0; i < node.size(); i++) {
        if (i > 0) {
          out.append(", ");
        }
        write(node.get(i), out);
      }
      out.append(']');
    } else if (node.isTextual()) {
      string(node.textValue(), out);
    } else {
      out.append(scalar(node));
    }
  }

  private static String scalar(JsonNode node) {
    if (node.isBigDecimal()) {
      // numeric_out: plain notation (jsonb numbers have a scale >= 0, so no exponent ever)
      BigDecimal d = node.decimalValue();
      return d.toPlainString();
    }
    if (node.isNumber() || node.isBoolean() || node.isNull()) {
      return node.asText(); // integers as digits; a double (a tree read without BigDecimals) as Java prints it
    }
    return node.toString();
  }

  /** {@code escape_json}: quote, backslash and the short escapes; other control characters as {@code \\u00xx}. */
  private static void string(String s, StringBuilder out) {
    out.append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"':
          out.append("\\\"");
          break;
        case '\\':
          out.append("\\\\");
          break;
        case '\b':
          out.append("\\b");
          break;
        case '\f':
          out.append("\\f");
          break;
        case '\n':
          out.append("\\n");
          break;
        case '\r':
          out.append("\\r");
          break;
        case '\t':
          out.append("\\t");
          break;
        default:
          if (c < ' ') {
            out.append("\\u00").append(Character.forDigit(c >> 4, 16)).append(Character.forDigit(c & 0xf, 16));
          } else {
            out.append(c);
          }
      }
    }
    out.append('"');
  }
}
