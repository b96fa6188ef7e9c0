package io.pgpubsub.hibernate.model;

public enum Status {
  DRAFT,
  PUBLISHED,
  ARCHIVED
}
