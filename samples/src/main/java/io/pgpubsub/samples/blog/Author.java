package io.pgpubsub.samples.blog;

import io.pgpubsub.TriggerChannel;
import jakarta.persistence.Entity;
import jakarta.persistence.GeneratedValue;
import jakarta.persistence.Id;
import jakarta.persistence.Table;

/**
 * A broadcast channel: every running listener process receives every change (to refresh its own cache, say);
 * nothing is stored for processes that are not running.
 */
@Entity
@Table(name = "author")
@TriggerChannel(lockable = false)
public class Author {

  @Id @GeneratedValue private Long id;

  private String name;

  protected Author() {}

  public Author(String name) {
    this.name = name;
  }

  public Long getId() {
    return id;
  }

  public String getName() {
    return name;
  }

  public void setName(String name) {
    this.name = name;
  }
}
