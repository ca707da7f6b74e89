/** The training algorithms Freshet presets, whose images it resolves per region. */
export enum Algorithm {
  /** SageMaker's built-in XGBoost: label-first headerless CSV to train; CSV rows without the label in, one number a row out. */
  XGBOOST = 'xgboost',
  /** The AWS AutoGluon deep learning containers: CSV with a header in and out. */
  AUTOGLUON = 'autogluon',
  /** SageMaker's built-in DeepAR forecasting: JSON lines to train; JSON instances and configuration in and out. */
  DEEPAR = 'deepar',
}

/** Which image of an algorithm: the one that trains, or the one that serves. */
export enum ImagePurpose {
  /** The training job's image. */
  TRAINING = 'training',
  /** The endpoint's (or batch transform's) image. */
  INFERENCE = 'inference',
}
