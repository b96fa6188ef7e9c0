package io.pgpubsub.hibernate;

import org.hibernate.HibernateException;

/**
 * The SessionFactory cannot start because the pgpubsub setup is wrong: a trigger on another table than the
 * one Hibernate maps, a missing or stale trigger in validate mode, a bad setting. The message names the
 * entity, channel, table or setting at fault.
 */
public class PubSubBootException extends HibernateException {

  private static final long serialVersionUID = 1L;

  public PubSubBootException(String message) {
    super(message);
  }

  public PubSubBootException(String message, Throwable cause) {
    super(message, cause);
  }
}
