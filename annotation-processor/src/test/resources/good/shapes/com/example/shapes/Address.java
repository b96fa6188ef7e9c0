package com.example.shapes;

import jakarta.persistence.Column;
import jakarta.persistence.Embeddable;

@Embeddable
public class Address {

  public String street;

  public String city;

  @Column(name = "zip_code")
  public String zip;
}
