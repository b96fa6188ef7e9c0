package com.example.shapes;

import jakarta.persistence.Embeddable;

@Embeddable
public record OrderLineId(long orderId, int lineNo) {}
