/**
 * Keras models in this project's terms: {@link importKerasModel} reads a Keras 2 HDF5 or Keras 3
 * `.keras` file (such as the dissertation's published `model.keras`), checks that its layers are
 * the ones our builder makes and loads its weights into our network; {@link weightStatistics} and
 * {@link looksUntrained} tell trained weights from an initialiser's draw.
 *
 * @module
 */
export * from "./import.ts";
export * from "./weight_statistics.ts";
