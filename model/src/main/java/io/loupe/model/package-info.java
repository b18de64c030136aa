/**
 * The records and service-provider interfaces that every Loupe module shares: series identity ({@link
 * io.loupe.model.Labels}), samples and exemplars, the storage SPIs for metrics ({@link io.loupe.model.SeriesAppender},
 * {@link io.loupe.model.Queryable}) and traces ({@link io.loupe.model.SpanWriter}, {@link io.loupe.model.SpanReader}),
 * tenants, limits and the error types that map to API responses. Depends on nothing but the JDK.
 */
package io.loupe.model;
