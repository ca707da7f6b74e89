import { Algorithm, AlgorithmImages, ImagePurpose } from '@freshet/core';
import { Duration } from 'aws-cdk-lib';
import { Construct } from 'constructs';

/** What the model predicts; it picks the objective, the evaluation metrics and the gate's default metric. */
export enum TaskType {
  /** A number (evaluated by RMSE, MAE, R²). */
  REGRESSION = 'regression',
  /** One of two classes (accuracy, F1, AUC). */
  BINARY_CLASSIFICATION = 'binary_classification',
  /** One of several classes (accuracy, macro F1, AUC). */
  MULTICLASS_CLASSIFICATION = 'multiclass_classification',
  /** The future of a time series (wQL, MAPE). */
  FORECASTING = 'forecasting',
}

/** The channel format a custom image trains on, as preprocess writes it. */
export enum ChannelFormat {
  /** Headerless CSV with the label first (the XGBoost format). */
  LABEL_FIRST_CSV = 'xgboost',
  /** CSV with a header, the label column named as the schema's target (the AutoGluon format). */
  HEADER_CSV = 'autogluon',
  /** DeepAR JSON lines, one series a line. */
  DEEPAR_JSON_LINES = 'deepar',
}

/** Options of {@link TrainingAlgorithm.xgboost}. */
export interface XgboostOptions {
  /**
   * The task; it sets the objective (reg:squarederror, binary:logistic, multi:softprob).
   * @default TaskType.REGRESSION
   */
  readonly taskType?: TaskType;
  /**
   * The number of classes (multiclass only, XGBoost's num_class).
   * @default - required for MULTICLASS_CLASSIFICATION
   */
  readonly numClasses?: number;
  /**
   * Hyperparameters added to (and overriding) the preset's.
   * @default - num_round 100, max_depth 6, eta 0.2 and the objective
   */
  readonly hyperparameters?: Record<string, string>;
  /**
   * The image tag of the SageMaker XGBoost framework container (training and inference).
   * The serving code needs its Python 3.10 / pandas 2 generation (3.0-5 or later).
   * @default - core's default XGBoost tag (3.0-5)
   */
  readonly imageTag?: string;
}

/** Options of {@link TrainingAlgorithm.autogluon}. */
export interface AutogluonOptions {
  /** The task; AutoGluon's problem_type follows from it (not forecasting). */
  readonly taskType: TaskType;
  /** The training time budget (AutoGluon's time_limit). */
  readonly timeLimit: Duration;
  /**
   * AutoGluon presets, e.g. `medium_quality`, `best_quality`.
   * @default 'medium_quality'
   */
  readonly presets?: string;
  /**
   * The training image tag.
   * @default - core's default AutoGluon training tag
   */
  readonly imageTag?: string;
}

/** How preprocess cuts forecasting data into series (DeepAR JSON lines channels). */
export interface ForecastSeriesOptions {
  /** The series frequency, e.g. `H`, `5min`, `D` (DeepAR time_freq and preprocess --freq). */
  readonly frequency: string;
  /** Time steps predicted (prediction_length and preprocess --prediction-length). */
  readonly predictionLength: number;
  /**
   * The column naming each series (preprocess --series-id-column), e.g. the
   * device of an IoT reading. The schema's idColumn identifies a record, not a
   * series, so it serves only when each series is one record stream.
   * @default - the schema's idColumn
   */
  readonly seriesIdColumn?: string;
}

/** Options of {@link TrainingAlgorithm.deepar}. */
export interface DeeparOptions extends ForecastSeriesOptions {
  /** Time steps the model sees before predicting (context_length). */
  readonly contextLength: number;
  /**
   * Training epochs.
   * @default 100
   */
  readonly epochs?: number;
  /**
   * Hyperparameters added to (and overriding) the preset's.
   * @default - none
   */
  readonly hyperparameters?: Record<string, string>;
}

/** Options of {@link TrainingAlgorithm.custom}. */
export interface CustomAlgorithmOptions {
  /** The training image URI. */
  readonly imageUri: string;
  /**
   * The inference image URI (model registration, batch transform and the endpoint).
   * @default - the training image
   */
  readonly inferenceImageUri?: string;
  /** The channel format the image trains on. */
  readonly inputFormat: ChannelFormat;
  /** The task. */
  readonly taskType: TaskType;
  /**
   * Hyperparameters.
   * @default - none
   */
  readonly hyperparameters?: Record<string, string>;
  /**
   * Environment of the inference container.
   * @default - none
   */
  readonly inferenceEnvironment?: Record<string, string>;
  /**
   * How preprocess cuts the series; required with `ChannelFormat.DEEPAR_JSON_LINES`.
   * @default - none (tabular formats)
   */
  readonly forecast?: ForecastSeriesOptions;
}

/** A training algorithm resolved for one stack. */
export interface BoundTrainingAlgorithm {
  /** The training image URI. */
  readonly trainingImageUri: string;
  /** The inference image URI. */
  readonly inferenceImageUri: string;
  /** The preset hyperparameters (strings, as SageMaker takes them). */
  readonly hyperparameters: Record<string, string>;
  /**
   * The training container's entry point, when the image needs one.
   * @default - the image's own
   */
  readonly containerEntrypoint?: string[];
  /**
   * A script of the package's `scripts/` folder that the training job runs
   * instead of the image's entry point; the scripts zip reaches the
   * network-isolated job as the input channel `code`.
   * @default - none: the image's entry point, or `containerEntrypoint`
   */
  readonly trainingScript?: string;
  /**
   * Whether the training job reads `training/<run>/serving/` (the encoding and
   * the request format preprocess writes) as the input channel `serving`, to
   * package them with the model's inference code.
   * @default false
   */
  readonly servingChannel?: boolean;
  /**
   * Environment of the inference container.
   * @default - none
   */
  readonly inferenceEnvironment?: Record<string, string>;
  /**
   * How preprocess cuts the series; required with `ChannelFormat.DEEPAR_JSON_LINES`.
   * @default - none (tabular formats)
   */
  readonly forecast?: ForecastSeriesOptions;
}

/**
 * The training algorithm: a preset (XGBoost, AutoGluon, DeepAR) or a custom
 * image. The preset fixes the channel format preprocess writes, the images
 * (resolved per region), the default hyperparameters and the task type.
 */
export class TrainingAlgorithm {
  /**
   * XGBoost in the SageMaker XGBoost framework container; the objective follows from the task type.
   *
   * The job runs `scripts/xgboost_train.py` with the built-in algorithm's hyperparameter
   * names, and the model carries its inference code (`code/inference.py`) and the run's
   * encoding: it takes the raw feature rows the prediction API sends, so the API, the batch
   * transform of the quality gate and direct endpoint callers get the same predictions.
   */
  public static xgboost(options: XgboostOptions = {}): TrainingAlgorithm {
    const taskType = options.taskType ?? TaskType.REGRESSION;
    if (taskType === TaskType.FORECASTING) {
      throw new Error('TrainingAlgorithm.xgboost() does not forecast: use TrainingAlgorithm.deepar() for TaskType.FORECASTING.');
    }
    if (taskType === TaskType.MULTICLASS_CLASSIFICATION && !(options.numClasses && options.numClasses >= 3)) {
      throw new Error('TrainingAlgorithm.xgboost(): MULTICLASS_CLASSIFICATION needs numClasses (3 or more, the number of distinct target values).');
    }
    const objective: Record<string, Record<string, string>> = {
      [TaskType.REGRESSION]: { objective: 'reg:squarederror', eval_metric: 'rmse' },
      [TaskType.BINARY_CLASSIFICATION]: { objective: 'binary:logistic', eval_metric: 'auc' },
      [TaskType.MULTICLASS_CLASSIFICATION]: { objective: 'multi:softprob', eval_metric: 'mlogloss', num_class: String(options.numClasses) },
    };
    const hyperparameters = { num_round: '100', max_depth: '6', eta: '0.2', ...objective[taskType], ...options.hyperparameters };
    return new TrainingAlgorithm(Algorithm.XGBOOST, ChannelFormat.LABEL_FIRST_CSV, taskType, (scope) => {
      const uri = AlgorithmImages.uriFor(scope, Algorithm.XGBOOST, { purpose: ImagePurpose.TRAINING, tag: options.imageTag });
      return {
        trainingImageUri: uri,
        inferenceImageUri: uri,
        hyperparameters,
        trainingScript: 'xgboost_train.py',
        servingChannel: true,
        // code/inference.py applies the run's encoding to the raw rows the API sends (scripts/xgboost_inference.py).
        inferenceEnvironment: AlgorithmImages.servingEnvironment(Algorithm.XGBOOST),
      };
    });
  }

  /** AutoGluon Tabular on the AWS AutoGluon training and inference DLCs, with a time budget. */
  public static autogluon(options: AutogluonOptions): TrainingAlgorithm {
    if (options.taskType === TaskType.FORECASTING) {
      throw new Error('TrainingAlgorithm.autogluon() trains tabular models: use TrainingAlgorithm.deepar() for TaskType.FORECASTING.');
    }
    const seconds = options.timeLimit.toSeconds();
    if (seconds < 60) {
      throw new Error(`TrainingAlgorithm.autogluon(): timeLimit is ${seconds}s; give AutoGluon at least 1 minute.`);
    }
    const problemType: Record<string, string> = {
      [TaskType.REGRESSION]: 'regression',
      [TaskType.BINARY_CLASSIFICATION]: 'binary',
      [TaskType.MULTICLASS_CLASSIFICATION]: 'multiclass',
    };
    return new TrainingAlgorithm(Algorithm.AUTOGLUON, ChannelFormat.HEADER_CSV, options.taskType, (scope, label) => ({
      trainingImageUri: AlgorithmImages.uriFor(scope, Algorithm.AUTOGLUON, { purpose: ImagePurpose.TRAINING, tag: options.imageTag }),
      inferenceImageUri: AlgorithmImages.uriFor(scope, Algorithm.AUTOGLUON, { purpose: ImagePurpose.INFERENCE }),
      hyperparameters: {
        label,
        problem_type: problemType[options.taskType],
        time_limit: String(seconds),
        presets: options.presets ?? 'medium_quality',
      },
      // scripts/autogluon_train.py fits a TabularPredictor and saves it with code/inference.py (scripts/autogluon_inference.py).
      trainingScript: 'autogluon_train.py',
      inferenceEnvironment: AlgorithmImages.servingEnvironment(Algorithm.AUTOGLUON),
    }), options.timeLimit);
  }

  /** SageMaker's built-in DeepAR forecasting (TaskType.FORECASTING). */
  public static deepar(options: DeeparOptions): TrainingAlgorithm {
    for (const [name, value] of [['contextLength', options.contextLength], ['epochs', options.epochs ?? 100]] as const) {
      if (!Number.isInteger(value) || value < 1) {
        throw new Error(`TrainingAlgorithm.deepar(): ${name} is ${value}; give a whole number of at least 1.`);
      }
    }
    validateForecastSeries('TrainingAlgorithm.deepar()', options);
    const hyperparameters = {
      time_freq: options.frequency,
      context_length: String(options.contextLength),
      prediction_length: String(options.predictionLength),
      epochs: String(options.epochs ?? 100),
      cardinality: 'auto',
      ...options.hyperparameters,
    };
    const algorithm = new TrainingAlgorithm(Algorithm.DEEPAR, ChannelFormat.DEEPAR_JSON_LINES, TaskType.FORECASTING, (scope) => {
      const uri = AlgorithmImages.uriFor(scope, Algorithm.DEEPAR, { purpose: ImagePurpose.TRAINING });
      return { trainingImageUri: uri, inferenceImageUri: uri, hyperparameters };
    });
    const { frequency, predictionLength, seriesIdColumn } = options;
    return Object.assign(algorithm, { frequency, predictionLength, seriesIdColumn });
  }

  /** Your own training image, fed the channels of one of the preset formats. */
  public static custom(options: CustomAlgorithmOptions): TrainingAlgorithm {
    const forecasting = options.inputFormat === ChannelFormat.DEEPAR_JSON_LINES;
    if (forecasting !== (options.taskType === TaskType.FORECASTING)) {
      throw new Error('TrainingAlgorithm.custom(): DEEPAR_JSON_LINES channels go with TaskType.FORECASTING and only with it; change inputFormat or taskType.');
    }
    if (forecasting !== (options.forecast !== undefined)) {
      throw new Error('TrainingAlgorithm.custom(): forecast (frequency, predictionLength, seriesIdColumn) goes with DEEPAR_JSON_LINES channels and only with them.');
    }
    if (options.forecast) validateForecastSeries('TrainingAlgorithm.custom()', options.forecast);
    const algorithm = ({
      [ChannelFormat.LABEL_FIRST_CSV]: Algorithm.XGBOOST,
      [ChannelFormat.HEADER_CSV]: Algorithm.AUTOGLUON,
      [ChannelFormat.DEEPAR_JSON_LINES]: Algorithm.DEEPAR,
    } as Record<ChannelFormat, Algorithm>)[options.inputFormat];
    const custom = new TrainingAlgorithm(algorithm, options.inputFormat, options.taskType, () => ({
      trainingImageUri: options.imageUri,
      inferenceImageUri: options.inferenceImageUri ?? options.imageUri,
      hyperparameters: { ...options.hyperparameters },
      inferenceEnvironment: options.inferenceEnvironment,
    }), undefined, true);
    return Object.assign(custom, { ...options.forecast });
  }

  /** DeepAR's time_freq, passed to preprocess as --freq. */
  public readonly frequency?: string;
  /** DeepAR's prediction_length, passed to preprocess as --prediction-length. */
  public readonly predictionLength?: number;
  /** The column naming each DeepAR series, passed to preprocess as --series-id-column. */
  public readonly seriesIdColumn?: string;

  private constructor(
    /** The channel format preset (for the scripts' --algorithm). */
    public readonly algorithm: Algorithm,
    /** The format of the channels preprocess writes. */
    public readonly channelFormat: ChannelFormat,
    /** The task. */
    public readonly taskType: TaskType,
    private readonly binder: (scope: Construct, label: string) => BoundTrainingAlgorithm,
    /** AutoGluon's time budget, which the training job's max runtime must exceed. */
    public readonly timeLimit?: Duration,
    /** Whether the image is the user's own. */
    public readonly isCustom: boolean = false,
  ) {}

  /** Resolves images and hyperparameters for the stack of `scope`; `label` is the schema's target column. */
  public bind(scope: Construct, label: string): BoundTrainingAlgorithm {
    return this.binder(scope, label);
  }
}

function validateForecastSeries(method: string, options: ForecastSeriesOptions): void {
  if (!Number.isInteger(options.predictionLength) || options.predictionLength < 1) {
    throw new Error(`${method}: predictionLength is ${options.predictionLength}; give a whole number of at least 1.`);
  }
  if (!/^[0-9]*(min|H|D|W|M)$/.test(options.frequency)) {
    throw new Error(`${method}: frequency '${options.frequency}' is not a DeepAR time_freq; use e.g. 5min, H, D, W or M.`);
  }
}
