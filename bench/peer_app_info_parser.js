// Runs the peer, the npm package app-info-parser, on one file (APK or IPA) and prints its result
// as JSON. Used by the bench scripts: `node bench/peer_app_info_parser.js FILE`.
// Install first: npm install --prefix bench   (bench/package.json pins it)
const AppInfoParser = require('app-info-parser');

const file = process.argv[2];
new AppInfoParser(file).parse()
  .then((info) => {
    if (info.icon) info.icon = `<data url, ${info.icon.length} chars>`;
    process.stdout.write(JSON.stringify(info).slice(0, 2000) + '\n');
  })
  .catch((err) => {
    process.stderr.write(`app-info-parser: ${err}\n`);
    process.exit(1);
  });
