package io.pgpubsub.hibernate.model;

import java.util.List;

/** A POJO stored in a jsonb column through Hibernate's JSON FormatMapper. */
public class Preferences {
  public String theme;
  public List<String> languages;
  public int fontSize;

  public Preferences() {}

  public Preferences(String theme, List<String> languages, int fontSize) {
    this.theme = theme;
    this.languages = languages;
    this.fontSize = fontSize;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Preferences p
        && java.util.Objects.equals(p.theme, theme)
        && java.util.Objects.equals(p.languages, languages)
        && p.fontSize == fontSize;
  }

  @Override
  public int hashCode() {
    return java.util.Objects.hash(theme, languages, fontSize);
  }
}
