package io.pgpubsub.spi;

import io.pgpubsub.Delivery;

/** What generated dispatch code takes a listener method's arguments from. */
public interface Invocation {

  /** The old row decoded as {@code type}; null on INSERT and for plain channels. */
  <T> T oldValue(Class<T> type);

  /** The new row decoded as {@code type} (the record, for plain channels); null on DELETE. */
  <T> T newValue(Class<T> type);

  Delivery delivery();

  /**
   * A resource sharing the processing transaction: {@code java.sql.Connection} always;
   * {@code org.hibernate.Session} and {@code jakarta.persistence.EntityManager} with the Hibernate
   * integration. Throws {@link IllegalStateException} naming the type when none is available.
   */
  <T> T resource(Class<T> type);
}
