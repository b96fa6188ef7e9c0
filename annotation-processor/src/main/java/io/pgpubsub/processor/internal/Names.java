package io.pgpubsub.processor.internal;

/**
 * Qualified names of every annotation and type the processor reads. Annotations are read by name, never
 * through {@code Class} objects: neither Jakarta Persistence nor pgpubsub-core is on the processor path.
 */
public final class Names {

  private Names() {}

  public static final String PROCESSOR = "io.pgpubsub.processor.PgPubSubProcessor";

  // pgpubsub
  public static final String TRIGGER_CHANNEL = "io.pgpubsub.TriggerChannel";
  public static final String CHANNEL = "io.pgpubsub.Channel";
  public static final String POST_SAVE_LISTENER = "io.pgpubsub.PostSaveListener";
  public static final String POST_INSERT_LISTENER = "io.pgpubsub.PostInsertListener";
  public static final String POST_UPDATE_LISTENER = "io.pgpubsub.PostUpdateListener";
  public static final String POST_DELETE_LISTENER = "io.pgpubsub.PostDeleteListener";
  public static final String CHANNEL_LISTENER = "io.pgpubsub.ChannelListener";
  public static final String DELIVERY = "io.pgpubsub.Delivery";

  // resources a listener may take
  public static final String HIBERNATE_SESSION = "org.hibernate.Session";
  public static final String ENTITY_MANAGER = "jakarta.persistence.EntityManager";
  public static final String JDBC_CONNECTION = "java.sql.Connection";

  // Jakarta Persistence
  private static final String JPA = "jakarta.persistence.";
  public static final String ENTITY = JPA + "Entity";
  public static final String TABLE = JPA + "Table";
  public static final String MAPPED_SUPERCLASS = JPA + "MappedSuperclass";
  public static final String EMBEDDABLE = JPA + "Embeddable";
  public static final String EMBEDDED = JPA + "Embedded";
  public static final String EMBEDDED_ID = JPA + "EmbeddedId";
  public static final String ID = JPA + "Id";
  public static final String COLUMN = JPA + "Column";
  public static final String TRANSIENT = JPA + "Transient";
  public static final String ACCESS = JPA + "Access";
  public static final String INHERITANCE = JPA + "Inheritance";
  public static final String DISCRIMINATOR_COLUMN = JPA + "DiscriminatorColumn";
  public static final String DISCRIMINATOR_VALUE = JPA + "DiscriminatorValue";
  public static final String PRIMARY_KEY_JOIN_COLUMN = JPA + "PrimaryKeyJoinColumn";
  public static final String PRIMARY_KEY_JOIN_COLUMNS = JPA + "PrimaryKeyJoinColumns";
  public static final String MANY_TO_ONE = JPA + "ManyToOne";
  public static final String ONE_TO_ONE = JPA + "OneToOne";
  public static final String ONE_TO_MANY = JPA + "OneToMany";
  public static final String MANY_TO_MANY = JPA + "ManyToMany";
  public static final String ELEMENT_COLLECTION = JPA + "ElementCollection";
  public static final String JOIN_COLUMN = JPA + "JoinColumn";
  public static final String JOIN_COLUMNS = JPA + "JoinColumns";
  public static final String JOIN_TABLE = JPA + "JoinTable";
  public static final String ATTRIBUTE_OVERRIDE = JPA + "AttributeOverride";
  public static final String ATTRIBUTE_OVERRIDES = JPA + "AttributeOverrides";

  // Hibernate mappings without a column of their own
  public static final String HIBERNATE_FORMULA = "org.hibernate.annotations.Formula";
}
