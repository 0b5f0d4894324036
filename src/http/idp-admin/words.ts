import type { Response } from 'express';
import type { Translator } from '../../i18n/index.js';

/** The translator the locale middleware chose for this response (the console speaks English and Japanese). */
export const translatorOf = (res: Response): Translator => res.locals.translator as Translator;
