// Prints the key table of the README from the command registry (npm run keys).
import { CommandRegistry, keyTableMarkdown } from '../dist/src/commands/registry.js';

console.log(keyTableMarkdown(new CommandRegistry({ readOnly: false })));
