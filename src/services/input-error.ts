import { AppError } from '../domain/errors.js';
import { sharedI18n, type Message } from '../i18n/index.js';

/**
 * A form field the service refused: English in `message` (for the API and the command line) and
 * the key in `text`, so the console words it in the page's language.
 */
export class InputError extends AppError {
  readonly text: Message;
  constructor(text: Message) {
    super('VALIDATION', 422, sharedI18n().for('en').message(text));
    this.text = text;
  }
}
