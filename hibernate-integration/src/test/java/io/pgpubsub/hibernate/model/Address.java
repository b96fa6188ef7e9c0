package io.pgpubsub.hibernate.model;

import jakarta.persistence.Column;
import jakarta.persistence.Embeddable;

@Embeddable
public class Address {
  public String street;

  @Column(name = "zip_code")
  public String zipCode;

  public String city;

  public Address() {}

  public Address(String street, String zipCode, String city) {
    this.street = street;
    this.zipCode = zipCode;
    this.city = city;
  }
}
