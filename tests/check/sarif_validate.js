// Validate SARIF logs against the official SARIF 2.1.0 JSON schema (draft-04), as shipped in
// @microsoft/jest-sarif. Usage: node sarif_validate.js NODE_MODULES FILE...
const path = require("path");
const fs = require("fs");
const mods = process.argv[2];
const Ajv = require(path.join(mods, "ajv-draft-04"));
const schema = JSON.parse(fs.readFileSync(path.join(mods, "@microsoft/jest-sarif/lib/schemas/sarif-2.1.0-rtm.5.json"), "utf8"));
// unicodeRegExp: false, because the schema's language pattern is not a valid "u" regular expression.
const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false, unicodeRegExp: false });
const validate = ajv.compile(schema);
let bad = 0;
for (const f of process.argv.slice(3)) {
	const log = JSON.parse(fs.readFileSync(f, "utf8"));
	if (!validate(log)) {
		bad++;
		console.error(f + ": not valid SARIF 2.1.0:\n" + JSON.stringify(validate.errors, null, 2));
	} else {
		console.log(f + ": valid SARIF 2.1.0 (" + log.runs[0].results.length + " results)");
	}
}
process.exit(bad ? 1 : 0);
