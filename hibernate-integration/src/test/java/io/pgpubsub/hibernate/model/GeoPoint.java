package io.pgpubsub.hibernate.model;

import jakarta.persistence.Embeddable;

/** A record embeddable: built through its canonical constructor. */
@Embeddable
public record GeoPoint(Double latitude, Double longitude) {}
