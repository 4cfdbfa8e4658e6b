"""Coaching-report texts in six languages, written for the language tests and benchmark.

`SHORT` texts have 15-40 words (Japanese: a comparable length in characters), `LONG` ones a whole
report each. They are FCR-like on purpose: drug names, doctors' names, CRM words and numbers are
what makes detection on real reports harder than on clean prose.
"""

from __future__ import annotations

SHORT: dict[str, list[str]] = {
    "en": [
        "Call with Dr Ruiz about Cardiova: you opened with the HbA1c data and asked two open "
        "questions. Next time confirm the follow-up date before leaving.",
        "Good energy today. You handled the cost objection well, but the close was rushed; "
        "ask for a trial in two patients by Friday.",
        "Pre-call plan was to discuss the new indication with the oncology nurse team. You "
        "listened first and summarised their concerns before showing any slides.",
        "Dr Patel agreed to review two patients after you presented the efficacy slides. "
        "Focus on open questions during the next ride-along in March.",
    ],
    "fr": [
        "Visite chez le Dr Martin au sujet de Cardiova : tu as commencé par les données HbA1c et "
        "posé deux questions ouvertes. La prochaine fois, confirme la date de suivi.",
        "Bonne énergie aujourd'hui. Tu as bien traité l'objection sur le prix, mais la "
        "conclusion était trop rapide ; demande un essai chez deux patients d'ici vendredi.",
        "L'objectif de la visite était de présenter la nouvelle indication à l'équipe "
        "d'infirmières en oncologie. Tu as d'abord écouté et résumé leurs inquiétudes.",
        "Le Dr Lefèvre a accepté de revoir deux patients après ta présentation des résultats "
        "d'efficacité. Travaille les questions ouvertes avant la prochaine visite en mars.",
    ],
    "de": [
        "Besuch bei Dr. Müller zu Cardiova: Du hast mit den HbA1c-Daten begonnen und zwei offene "
        "Fragen gestellt. Bestätige beim nächsten Mal den Termin für das Folgegespräch.",
        "Gute Energie heute. Den Einwand zum Preis hast du gut behandelt, aber der Abschluss war "
        "zu schnell; bitte bis Freitag um einen Test bei zwei Patienten.",
        "Ziel des Besuchs war, dem onkologischen Pflegeteam die neue Indikation vorzustellen. Du "
        "hast zuerst zugehört und ihre Bedenken zusammengefasst.",
        "Frau Dr. Schmidt hat nach deiner Präsentation der Wirksamkeitsdaten zugestimmt, zwei "
        "Patienten zu prüfen. Arbeite bis zur nächsten Begleitung im März an offenen Fragen.",
    ],
    "es": [
        "Visita con el Dr. García sobre Cardiova: empezaste con los datos de HbA1c e hiciste dos "
        "preguntas abiertas. La próxima vez confirma la fecha de seguimiento antes de salir.",
        "Buena energía hoy. Manejaste bien la objeción sobre el precio, pero el cierre fue "
        "apresurado; pide una prueba en dos pacientes antes del viernes.",
        "El objetivo de la visita era presentar la nueva indicación al equipo de enfermería de "
        "oncología. Primero escuchaste y resumiste sus preocupaciones.",
        "La Dra. López aceptó revisar dos pacientes después de tu presentación de los datos de "
        "eficacia. Trabaja las preguntas abiertas antes del próximo acompañamiento en marzo.",
    ],
    "pt": [
        "Visita ao Dr. Silva sobre o Cardiova: você começou com os dados de HbA1c e fez duas "
        "perguntas abertas. Na próxima vez, confirme a data de retorno antes de sair.",
        "Boa energia hoje. Você tratou bem a objeção sobre o preço, mas o fechamento foi "
        "apressado; peça um teste em dois pacientes até sexta-feira.",
        "O objetivo da visita era apresentar a nova indicação à equipe de enfermagem de "
        "oncologia. Você primeiro ouviu e resumiu as preocupações delas.",
        "A Dra. Costa aceitou rever dois pacientes depois da sua apresentação dos dados de "
        "eficácia. Trabalhe as perguntas abertas antes do próximo acompanhamento em março.",
    ],
    "ja": [
        "山田先生への訪問（カルディオバ）：HbA1cのデータから始め、二つのオープンクエスチョンをしました。"
        "次回は退出前にフォローアップの日程を確認してください。",
        "今日は良いエネルギーでした。価格に関する反論にはうまく対応しましたが、クロージングが急ぎすぎでした。"
        "金曜日までに二人の患者での試用をお願いしてください。",
        "訪問の目的は、腫瘍科の看護チームに新しい適応症を紹介することでした。まず話を聞き、懸念をまとめました。",
        "有効性データの説明の後、佐藤先生は二人の患者を見直すことに同意しました。三月の次回同行までに質問力を磨きましょう。",
    ],
}

LONG: dict[str, str] = {
    "en": (
        "Situation: field day with Jordan in the north territory, three calls planned. The call "
        "objective with Dr Chen was to agree a trial of Cardiova in newly diagnosed patients. "
        "Action: you opened by asking how she currently starts therapy, listened, and then "
        "linked the HbA1c data to the patient she described. When she raised cost, you said "
        '"that\'s a fair point" and moved to the copay card. Result: Dr Chen agreed to try it '
        "in two patients and asked for the dosing guide. What went well: your questions were "
        "open and you let her talk. To work on: you did not confirm a follow-up date, so the "
        "commitment is loose. Next objective: on the next three calls, close with a specific "
        "follow-up date and note it in the CRM by the end of the month."
    ),
    "fr": (
        "Situation : journée terrain avec Julie dans le secteur nord, trois visites prévues. "
        "L'objectif de la visite chez le Dr Bernard était d'obtenir un essai de Cardiova chez "
        "les patients nouvellement diagnostiqués. Action : tu as commencé par lui demander "
        "comment elle initie le traitement, tu as écouté, puis tu as relié les données HbA1c "
        "au patient qu'elle décrivait. Quand elle a parlé du coût, tu as répondu « c'est une "
        "remarque juste » et tu as présenté le programme d'aide. Résultat : le Dr Bernard a "
        "accepté de l'essayer chez deux patients et a demandé le guide de posologie. Points "
        "forts : des questions ouvertes, et tu l'as laissée parler. Axe de progrès : tu n'as "
        "pas fixé de date de suivi. Objectif : lors des trois prochaines visites, conclure "
        "avec une date de suivi précise et la noter dans le CRM avant la fin du mois."
    ),
    "de": (
        "Situation: Feldtag mit Jonas im Gebiet Nord, drei Besuche geplant. Ziel des Besuchs "
        "bei Dr. Becker war, einen Therapieversuch mit Cardiova bei neu diagnostizierten "
        "Patienten zu vereinbaren. Vorgehen: Du hast zuerst gefragt, wie sie die Therapie "
        "heute beginnt, hast zugehört und dann die HbA1c-Daten mit dem Patienten verknüpft, "
        "den sie beschrieben hat. Als sie die Kosten ansprach, hast du gesagt „das ist ein "
        "berechtigter Punkt“ und auf das Zuzahlungsprogramm verwiesen. Ergebnis: Dr. Becker "
        "will es bei zwei Patienten ausprobieren und hat den Dosierungsleitfaden angefordert. "
        "Gut gelaufen: offene Fragen, und du hast sie reden lassen. Entwicklungsfeld: Du hast "
        "keinen Folgetermin vereinbart. Nächstes Ziel: bei den nächsten drei Besuchen mit "
        "einem konkreten Folgetermin abschließen und ihn bis Monatsende im CRM eintragen."
    ),
    "es": (
        "Situación: día de campo con Lucía en el territorio norte, tres visitas planificadas. "
        "El objetivo de la visita con la Dra. Fernández era acordar una prueba de Cardiova en "
        "pacientes recién diagnosticados. Acción: empezaste preguntándole cómo inicia "
        "actualmente el tratamiento, escuchaste y luego relacionaste los datos de HbA1c con el "
        "paciente que ella describió. Cuando mencionó el coste, dijiste «es un punto válido» y "
        "pasaste al programa de apoyo. Resultado: la Dra. Fernández aceptó probarlo en dos "
        "pacientes y pidió la guía de dosificación. Lo que fue bien: preguntas abiertas y la "
        "dejaste hablar. A mejorar: no confirmaste una fecha de seguimiento. Próximo objetivo: "
        "en las próximas tres visitas, cerrar con una fecha de seguimiento concreta y "
        "registrarla en el CRM antes de fin de mes."
    ),
    "pt": (
        "Situação: dia de campo com a Beatriz no território norte, três visitas planejadas. O "
        "objetivo da visita ao Dr. Almeida era combinar um teste do Cardiova em pacientes "
        "recém-diagnosticados. Ação: você começou perguntando como ele inicia o tratamento "
        "hoje, ouviu e depois relacionou os dados de HbA1c ao paciente que ele descreveu. "
        "Quando ele falou do custo, você disse «é um ponto justo» e apresentou o programa de "
        "apoio. Resultado: o Dr. Almeida aceitou testar em dois pacientes e pediu o guia de "
        "posologia. O que foi bem: perguntas abertas, e você o deixou falar. A melhorar: você "
        "não confirmou uma data de retorno. Próximo objetivo: nas próximas três visitas, "
        "fechar com uma data de retorno concreta e registrá-la no CRM até o fim do mês."
    ),
    "ja": (
        "状況：北エリアで田中さんと同行、訪問は三件の予定。鈴木先生への訪問の目的は、新規診断の患者さんで"
        "カルディオバの試用に合意していただくことでした。行動：まず先生が現在どのように治療を開始しているかを"
        "質問し、よく聞いたうえで、先生が説明した患者さんにHbA1cのデータを結び付けました。費用の話が出たとき、"
        "「ごもっともです」と答えて自己負担軽減プログラムを紹介しました。結果：鈴木先生は二人の患者さんで"
        "試してみることに同意し、用法用量ガイドを求められました。良かった点：質問がオープンで、先生に"
        "話していただけました。改善点：次回のフォローアップ日を確認しませんでした。次の目標：次の三件の"
        "訪問で具体的なフォローアップ日を決めて締めくくり、月末までにCRMに記録すること。"
    ),
}

#: An English report with a German paragraph.
MIXED = LONG["en"] + "\n\n" + LONG["de"][:400]
