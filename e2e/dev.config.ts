// Same specs against servers you already run on the test ports (devnet on 18420/19545, `trunk
// serve --release --port 18080`), for quick iterations: npx playwright test --config dev.config.ts
import base from './playwright.config';

export default { ...base, webServer: undefined, retries: 0, reporter: [['list']] };
