package io.pgpubsub.internal;

import java.nio.charset.StandardCharsets;
import java.util.regex.Pattern;

/**
 * Channel name rules shared by the runtime and {@link io.pgpubsub.Notifier}: 1..63 bytes of
 * {@code [A-Za-z0-9_.-]}. Names are validated before they get anywhere near SQL, and LISTEN still quotes them.
 */
public final class ChannelNames {

  private static final Pattern VALID = Pattern.compile("[A-Za-z0-9_.\\-]{1,63}");

  private ChannelNames() {}

  /** Returns {@code name} or throws an {@link IllegalArgumentException} that names it and says why. */
  public static String validate(String name) {
    if (name == null) {
      throw new IllegalArgumentException("channel name must not be null");
    }
    if (!VALID.matcher(name).matches()) {
      int bytes = name.getBytes(StandardCharsets.UTF_8).length;
      String why =
          bytes == 0
              ? "it is empty"
              : bytes > 63
                  ? "it is " + bytes + " bytes long (PostgreSQL identifiers have at most 63)"
                  : "only letters A-Z a-z, digits, '_', '.' and '-' are allowed";
      throw new IllegalArgumentException("invalid channel name '" + printable(name) + "': " + why);
    }
    return name;
  }

  /** {@code "name"}: a quoted SQL identifier (the name is validated first, so it holds no quote). */
  public static String quoted(String name) {
    return '"' + validate(name) + '"';
  }

  private static String printable(String name) {
    StringBuilder b = new StringBuilder(Math.min(name.length(), 80));
    for (int i = 0; i < name.length() && b.length() < 80; i++) {
      char c = name.charAt(i);
      if (c < 0x20 || c == 0x7f) {
        b.append(String.format("\\u%04x", (int) c));
      } else {
        b.append(c);
      }
    }
    if (b.length() >= 80) {
      b.append("...");
    }
    return b.toString();
  }
}
