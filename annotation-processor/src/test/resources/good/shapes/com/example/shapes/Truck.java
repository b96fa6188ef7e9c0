package com.example.shapes;

import jakarta.persistence.Entity;

@Entity
public class Truck extends Vehicle {

  public double payload;
}
