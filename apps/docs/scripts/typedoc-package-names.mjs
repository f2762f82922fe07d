// TypeDoc plugin: names each entry point's module after the import path users write
// ("onnx/src/web" -> "@dynamojs/onnx/web", "core/src" -> "@dynamojs/core").
import { Converter, ReflectionKind } from 'typedoc';

export function load(app) {
  app.converter.on(Converter.EVENT_RESOLVE_BEGIN, (context) => {
    for (const mod of context.project.getChildrenByKind(ReflectionKind.Module)) {
      const match = /^([a-z0-9-]+)\/src(?:\/([a-z0-9-]+))?$/.exec(mod.name);
      if (match) mod.name = `@dynamojs/${match[1]}${match[2] ? `/${match[2]}` : ''}`;
    }
  });
}
